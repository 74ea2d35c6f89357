import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The alert rules and the Grafana dashboard are checked by Prometheus's own tool: `promtool check
// rules` parses every expression of both, `promtool test rules` runs docs/operating/alerts.test.yml (a firing and
// a quiet case per alert). promtool comes with Debian's `prometheus` package, which .ci/run
// installs; on a developer's machine without it these tests are skipped with the reason, in CI
// (CI set) a missing promtool fails them. PROMTOOL names another binary than the one on PATH.
const run = promisify(execFile);
const rulesFile = fileURLToPath(new URL('../../../docs/operating/alerts.yml', import.meta.url));
const rulesTestFile = fileURLToPath(new URL('../../../docs/operating/alerts.test.yml', import.meta.url));
const dashboardFile = fileURLToPath(new URL('../../../docs/operating/grafana-dashboard.json', import.meta.url));
const promtool = process.env.PROMTOOL ?? 'promtool';
const available = await run(promtool, ['--version']).then(
  () => true,
  () => false,
);
const required = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const skipReason = available || required ? undefined : `${promtool} not found (apt-get install prometheus); CI fails instead`;

describe.skipIf(skipReason !== undefined)(`alert rules under promtool${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('finds promtool (CI installs it)', () => {
    expect(available, `${promtool} is not on PATH`).toBe(true);
  });

  it('parses every rule', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', rulesFile]);
    const rules = (await readFile(rulesFile, 'utf8')).match(/^\s+- (alert|record): /gm) ?? [];
    expect(rules.length).toBeGreaterThan(0);
    expect(stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('fires each alert in its firing case and stays quiet in its quiet case', async () => {
    const outcome = await run(promtool, ['test', 'rules', rulesTestFile]).then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
    expect(outcome.ok, outcome.output).toBe(true);
    expect(outcome.output).toContain('SUCCESS');
  });

  it('parses every expression of the Grafana dashboard (docs/operating/grafana-dashboard.json)', async () => {
    const dashboard = JSON.parse(await readFile(dashboardFile, 'utf8')) as { panels: { targets?: { expr: string }[] }[] };
    const expressions = dashboard.panels.flatMap((panel) => panel.targets ?? []).map((target) => target.expr);
    expect(expressions.length).toBeGreaterThan(20);
    // promtool checks expressions inside rule files: each expression becomes a recording rule of a scratch file.
    const directory = await mkdtemp(join(tmpdir(), 'paystream-dashboard-'));
    try {
      const rules = {
        groups: [{ name: 'dashboard', rules: expressions.map((expr, index) => ({ record: `paystream_dashboard:expr_${index}`, expr })) }],
      };
      const file = join(directory, 'dashboard-rules.yml');
      await writeFile(file, JSON.stringify(rules)); // JSON is YAML
      const { stdout } = await run(promtool, ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${expressions.length} rules found`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('has a firing and a quiet case for every alert of alerts.yml', async () => {
    const rules = await readFile(rulesFile, 'utf8');
    const tests = await readFile(rulesTestFile, 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((match) => match[1]!);
    expect(alerts.length).toBeGreaterThan(0);
    for (const alert of alerts) {
      const cases = tests.split(/\n  - name: /).filter((block) => block.includes(`alertname: ${alert}\n`));
      expect(
        cases.some((block) => new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`).test(block)),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        cases.some((block) => new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`).test(block)),
        `${alert} stays quiet somewhere`,
      ).toBe(true);
    }
  });
});
