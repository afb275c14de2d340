import { existsSync, statSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KbImportFormat, Role, Slug, type KbImportSummary } from '../../lib/contract';
import { detectFormat, readKbPath } from '../kb/import';
import { configFromEnv } from '../config';
import { startServer } from '../serve';
import { withBackend } from './backend';
import { ImportProgress } from './progress';

function slug(label: string) {
  return (value: string) => {
    const parsed = Slug.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`${label} ${parsed.error.issues[0]?.message}`);
    return value;
  };
}

const program = new Command()
  .name('loopdesk')
  .description('Loopdesk server and administration. Environment: HOST, PORT, DATABASE_URL, LOOPDESK_DATA_DIR.')
  .showHelpAfterError();

program
  .command('serve')
  .description('start the Loopdesk server (PGlite in LOOPDESK_DATA_DIR, or PostgreSQL at DATABASE_URL)')
  .option('--demo', 'mount the demo helpdesk at /demo and seed the demo tenant, knowledge base and agent')
  .action(async (opts: { demo?: boolean }) => {
    const config = configFromEnv();
    const started = performance.now();
    const server = await startServer(config, { demo: opts.demo });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Loopdesk listening on ${server.url} (${server.database.kind}) — ready in ${seconds} s`);
    if (server.demoToken) {
      console.log(`Demo helpdesk:   ${server.url}/demo/agent/tickets/1001`);
      console.log(`Demo agent token: ${server.demoToken}`);
      if (existsSync('.output/chrome-mv3')) {
        console.log('Extension:       load .output/chrome-mv3 unpacked, then set the server URL and token in its options');
      }
    }
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

const token = program.command('token').description('manage API tokens');
token
  .command('create')
  .description('create a bearer token (creating the tenant, team and agent if needed); prints only the token')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .requiredOption('--team <team>', 'team name', slug('team'))
  .addOption(new Option('--role <role>', 'role').choices(Role.options).makeOptionMandatory())
  .requiredOption('--name <name>', 'agent name', slug('name'))
  .action(async (opts: { tenant: string; team: string; role: Role; name: string }) => {
    const created = await withBackend(configFromEnv(), (backend) => backend.createToken(opts));
    console.log(created);
  });

const kb = program.command('kb').description('manage the knowledge base');
kb.command('import')
  .description(
    'import articles from Contract v1 JSONL, a Zendesk Help Center export or a folder of Markdown files; ' +
      're-importing the same ids updates them',
  )
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .addOption(
    new Option(
      '--format <format>',
      'input format; from the path when omitted (a folder of .md files: markdown, .jsonl/.ndjson: jsonl, .json or a folder of them: zendesk)',
    ).choices(KbImportFormat.options),
  )
  .option('--prune', 'after a complete import, delete the articles the input no longer has')
  .argument(
    '<path>',
    'JSONL file of {id, title, body, url?, locale?}; Zendesk articles.json page(s) or a folder of them; folder of .md files',
  )
  .action(async (path: string, opts: { tenant: string; format?: KbImportFormat; prune?: boolean }) => {
    if (!existsSync(path)) throw new InvalidArgumentError(`no such file or folder: ${path}`);
    const format = opts.format ?? (await detectFormat(path));
    if (format === 'jsonl' && statSync(path).isDirectory()) throw new InvalidArgumentError(`${path} is a folder; jsonl reads one file`);
    const progress = new ImportProgress();
    const records = progress.count(readKbPath(format, path, progress));
    let summary: KbImportSummary;
    try {
      summary = await withBackend(configFromEnv(), (backend) => backend.importKb(opts.tenant, records, { prune: opts.prune }));
    } finally {
      progress.stop();
    }
    console.error(
      `imported (${format}): ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ` +
        `${summary.skipped.length} skipped, ${summary.pruned} pruned`,
    );
    for (const s of summary.skipped) console.error(`  ${s.position}: ${s.error}`);
    if (summary.fatal) {
      console.error(`loopdesk: import incomplete: ${summary.fatal}`);
      process.exitCode = 1;
    }
  });

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`loopdesk: ${err.message}`);
  process.exit(1);
});
