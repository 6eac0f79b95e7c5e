/**
 * `npm run bench [-- suite…]`: runs every suite in dist/suites (or the named ones), prints a
 * markdown table and writes bench/results/latest.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, toMarkdown, type BenchResult, type BenchSuite } from './harness';

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const dir = join(__dirname, 'suites');
  const suites: BenchSuite[] = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    .map((f) => (require(join(dir, f)) as { suite: BenchSuite }).suite)
    .filter((s) => s && (wanted.length === 0 || wanted.includes(s.name)));
  if (suites.length === 0) throw new Error(`No bench suite matches ${wanted.join(', ')}`);
  const rows: BenchResult[] = [];
  const notes: string[] = [];
  for (const suite of suites) {
    console.error(`# ${suite.name}`);
    try {
      await suite.run(createContext(suite.name, rows, notes));
    } catch (err) {
      notes.push(`${suite.name}: FAILED — ${err instanceof Error ? err.message : String(err)}`);
      console.error(err);
    }
  }
  const markdown = toMarkdown(rows, notes);
  console.log(markdown);
  const out = join(__dirname, '..', 'results');
  mkdirSync(out, { recursive: true });
  const stamp = { date: new Date().toISOString(), node: process.version, rows, notes };
  writeFileSync(join(out, 'latest.json'), JSON.stringify(stamp, null, 2));
  writeFileSync(join(out, 'latest.md'), markdown + '\n');
  console.error(`\nwrote ${join(out, 'latest.json')}`);
  if (notes.some((n) => n.includes('FAILED'))) process.exitCode = 1;
}

main()
  .then(() => process.exit())
  .catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
