/**
 * A choreography drawn from its participants' declarations: what each consumes and what each
 * produces (`ConsumerOptions.topics` and `produces`, plus what its routes and loops publish). There
 * is no central definition in a choreography, so this is the only place its shape is written down
 * once; a page that shows the diagram is checked against it by a test and never drifts, and the
 * consumer runner refuses an emit to a topic its consumer did not declare, so the declarations
 * cannot drift from the handlers either.
 *
 * The diagram is a Mermaid flowchart: an edge P → Q labelled with the event type for every topic P
 * produces and Q consumes (labels of one pair of nodes joined). Topics no participant produces come
 * from `externalSource` (another system on the same backbone). A participant that produces nothing
 * and consumes every topic of the choreography (an observer, such as analytics) is drawn with one
 * edge from "every event" instead of one from each.
 */
export interface FlowParticipant {
  /** The participant's name, drawn as its node. */
  readonly name: string;
  /** Every topic its consumers read. */
  readonly consumes: readonly string[];
  /** Every topic it publishes: from its consumers (declared on them) and from its routes and loops. */
  readonly produces: readonly string[];
}

export interface FlowDiagramOptions {
  /** The event type a topic carries, the edge's label. */
  readonly eventTypeOf: (topic: string) => string;
  /** The node that topics no participant produces come from. */
  readonly externalSource?: { readonly name: string; readonly label: string };
  /** Edges that are not events (e.g. an HTTP call to another system), drawn as given. */
  readonly calls?: readonly { readonly from: string; readonly to: string; readonly label: string }[];
}

export function flowDiagram(participants: readonly FlowParticipant[], options: FlowDiagramOptions): string {
  const produced = new Set(participants.flatMap((participant) => participant.produces));
  const consumedByAll = (participant: FlowParticipant) =>
    participant.produces.length === 0 && produced.size > 1 && [...produced].every((topic) => participant.consumes.includes(topic));
  const observers = participants.filter(consumedByAll);
  const external = options.externalSource;
  const edges = new Map<string, string[]>();
  const edge = (from: string, to: string, label: string) => {
    const key = `${nodeId(from)} --> ${nodeId(to)}`;
    const labels = edges.get(key) ?? [];
    if (!labels.includes(label)) labels.push(label);
    edges.set(key, labels);
  };
  let externalUsed = false;
  for (const consumer of participants) {
    if (observers.includes(consumer)) continue;
    for (const topic of consumer.consumes) {
      const producers = participants.filter((participant) => participant.produces.includes(topic));
      if (producers.length === 0) {
        if (!external)
          throw new Error(`${consumer.name} consumes ${topic}, which no participant produces, and there is no external source`);
        externalUsed = true;
        edge(external.name, consumer.name, options.eventTypeOf(topic));
      }
      // A participant hearing its own events (to keep its view) needs no arrow to itself.
      for (const producer of producers) if (producer !== consumer) edge(producer.name, consumer.name, options.eventTypeOf(topic));
    }
  }
  for (const call of options.calls ?? []) edge(call.from, call.to, call.label);
  const lines = ['flowchart LR', ...participants.map((participant) => `  ${nodeId(participant.name)}[${participant.name}]`)];
  if (external && (externalUsed || (options.calls ?? []).some((call) => call.to === external.name)))
    lines.push(`  ${nodeId(external.name)}[(${external.label})]`);
  if (observers.length > 0) lines.push('  every((every event))');
  for (const [key, labels] of edges) {
    const [from, to] = key.split(' --> ') as [string, string];
    lines.push(`  ${from} -->|${quoted(labels.join(', '))}| ${to}`);
  }
  for (const observer of observers) lines.push(`  every --> ${nodeId(observer.name)}`);
  return lines.join('\n');
}

/** A Mermaid node id: the name without characters Mermaid reads as syntax. */
function nodeId(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** An edge label in quotes when it holds characters Mermaid would read as syntax. */
function quoted(label: string): string {
  return /^[A-Za-z0-9 ,_]+$/.test(label) ? label : `"${label.replaceAll('"', '#quot;')}"`;
}
