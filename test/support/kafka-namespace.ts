import { Admin } from '@platformatic/kafka';

/**
 * Deletes every topic of a run namespace (`<namespace>.…`) once its test is done with it. An e2e
 * platform on Kafka declares some 1,500 partitions (every topic with its retry tiers and dead-letter
 * topic); left behind, a full test run's platforms add up past what a broker can keep open (the
 * shared test broker died of "Too many open files" at some 20,000 partitions under a 20,000-file
 * limit). Best effort: a broker already gone leaves nothing to clean.
 */
export async function deleteNamespaceTopics(brokers: readonly string[], namespace: string): Promise<void> {
  const admin = new Admin({ clientId: 'paystream-test-cleanup', bootstrapBrokers: [...brokers] });
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${namespace}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // The broker is down or the topics went meanwhile: nothing to keep the test failing for.
  } finally {
    await admin.close().catch(() => {});
  }
}
