import { createWriteStream, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { MODEL_KINDS, RETRIEVAL_KIND } from '../flywheel/models';
import {
  EXPORT_FORMATS,
  FINETUNE_KINDS,
  ExportKind,
  ExportRequest,
  ExportTimeField,
  KbImportFormat,
  PreferenceSource,
  Role,
  SFT_OUTCOMES,
  Slug,
  type KbImportSummary,
} from '../../lib/contract';
import { detectFormat, readKbPath } from '../kb/import';
import { configFromEnv, extensionDirFromEnv, PROJECT_ROOT } from '../config';
import { packExtensionCommand } from '../extension-pack/cli';
import { startServer } from '../serve';
import { withBackend } from './backend';
import { ImportProgress } from './progress';
import { FlywheelBar, printFlywheelResult, printModels } from '../flywheel/cli';
import { finetuneAction, printFinetuneJobs, type FinetuneCliOptions } from '../finetune/cli';
import type { ExportFilterOptions } from '../exports/cli-options';

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
  .showHelpAfterError()
  // `finetune` takes options and has a `list` subcommand: each command's options are its own.
  .enablePositionalOptions();

program
  .command('serve')
  .description('start the Loopdesk server (PGlite in LOOPDESK_DATA_DIR, or PostgreSQL at DATABASE_URL)')
  .option('--demo', 'mount the demo helpdesk at /demo and seed the demo tenant, knowledge base and agent')
  .action(async (opts: { demo?: boolean }) => {
    const config = configFromEnv();
    const started = performance.now();
    const server = await startServer(config, { demo: opts.demo, demoHistory: opts.demo });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Loopdesk listening on ${server.url} (${server.database.kind}) — ready in ${seconds} s`);
    console.log(`Leads' dashboard: ${server.url}/dashboard`);
    if (server.demoToken) {
      console.log(`Demo helpdesk:   ${server.url}/demo/agent/tickets/1001`);
      console.log(`Demo agent token: ${server.demoToken}`);
      if (server.demoLeadToken) console.log(`Demo lead token:  ${server.demoLeadToken}  (sign in to the dashboard with it)`);
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

token
  .command('list')
  .description('list API tokens (never their secrets): id, agent, team, role, created, revoked')
  .option('--tenant <tenant>', 'only this tenant (default: every tenant)', slug('tenant'))
  .action(async (opts: { tenant?: string }) => {
    const tokens = await withBackend(configFromEnv(), (backend) => backend.listTokens(opts.tenant));
    for (const t of tokens) {
      const enrolled = t.enrollmentTokenId ? ` enrolled${t.displayName ? ` (${t.displayName})` : ''}` : '';
      console.log(`${t.id}  ${t.agent}  ${t.team}  ${t.role}  created ${t.createdAt}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}${enrolled}`);
    }
  });
token
  .command('revoke')
  .description('revoke an API token by its id (from `loopdesk token list`); it answers 401 from its next request on')
  .argument('<id>', 'token id')
  .action(async (id: string) => {
    const found = await withBackend(configFromEnv(), (backend) => backend.revokeToken(id));
    if (!found) throw new InvalidArgumentError(`no token with id ${id}`);
    console.error(`revoked token ${id}`);
  });

const enrollment = program.command('enrollment').description("manage enrollment tokens (each agent's browser exchanges one for its own API token)");
enrollment
  .command('create')
  .description('create an enrollment token for a team (creating the tenant and team if needed); prints only the token, its id on stderr')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .requiredOption('--team <team>', 'team the enrolled agents join', slug('team'))
  .addOption(new Option('--role <role>', 'role of the enrolled agents').choices(['agent', 'lead']).default('agent'))
  .option('--expires <time>', 'ISO 8601 date-time after which it enrolls no one (e.g. 2027-01-31T00:00:00Z)')
  .option('--max-uses <n>', 'how many enrollments it allows', (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--max-uses must be a whole number of 1 or more');
    return n;
  })
  .action(async (opts: { tenant: string; team: string; role: 'agent' | 'lead'; expires?: string; maxUses?: number }) => {
    let expiresAt: string | undefined;
    if (opts.expires !== undefined) {
      const time = new Date(opts.expires);
      if (Number.isNaN(time.getTime())) throw new InvalidArgumentError(`--expires: not a date-time: ${opts.expires}`);
      expiresAt = time.toISOString();
    }
    const created = await withBackend(configFromEnv(), (backend) =>
      backend.createEnrollmentToken({ tenant: opts.tenant, team: opts.team, role: opts.role, expiresAt, maxUses: opts.maxUses }),
    );
    console.error(`enrollment token ${created.id}`);
    console.log(created.token);
  });
enrollment
  .command('list')
  .description("list a tenant's enrollment tokens (never their secrets)")
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .action(async (opts: { tenant: string }) => {
    for (const t of await withBackend(configFromEnv(), (backend) => backend.listEnrollmentTokens(opts.tenant))) {
      const limits = `${t.uses}${t.maxUses === null ? '' : `/${t.maxUses}`} uses${t.expiresAt ? `, expires ${t.expiresAt}` : ''}`;
      console.log(`${t.id}  ${t.team}  ${t.role}  ${limits}${t.revokedAt ? `  revoked ${t.revokedAt}` : ''}`);
    }
  });
enrollment
  .command('revoke')
  .description('revoke an enrollment token by its id; agent tokens already exchanged for it stay valid (revoke those with `loopdesk token revoke`)')
  .argument('<id>', 'enrollment token id')
  .action(async (id: string) => {
    const found = await withBackend(configFromEnv(), (backend) => backend.revokeEnrollmentToken(id));
    if (!found) throw new InvalidArgumentError(`no enrollment token with id ${id}`);
    console.error(`revoked enrollment token ${id}`);
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

interface ExportOptions extends ExportFilterOptions {
  tenant: string;
  format?: string;
  out?: string;
}

/** The dataset filters `export` and `finetune` share (ExportFilterOptions), added to `command`. */
function withExportFilters(command: Command): Command {
  return command
    .option('--from <time>', 'events from this date or date-time on (ISO 8601; a bare date is midnight UTC)')
    .option('--to <time>', 'events before this date or date-time (exclusive)')
    .addOption(new Option('--time <field>', 'the event time --from and --to apply to (default received)').choices(ExportTimeField.options))
    .option('--team <team>', "events of this team's agents (slug or id)")
    .option('--experiment <key>', 'events recorded under this experiment')
    .option('--arm <arm>', 'and this arm of it')
    .addOption(new Option('--min-outcome <outcome>', 'sft: weakest adoption outcome kept (default partial)').choices(SFT_OUTCOMES))
    .addOption(
      new Option('--min-strength <n>', 'preferences: weakest choice kept, 1 slightly, 2 better, 3 much better (drops adoption pairs)').choices(['1', '2', '3']),
    )
    .addOption(new Option('--source <source>', 'preferences: pairs from explicit choices, verbatim adoption, or all (default)').choices(PreferenceSource.options))
    .option('--prompt-version <version>', 'sft, preferences: render prompts with this generator prompt version');
}

const exportCommand = program
  .command('export')
  .description(
    'export a dataset or report, streamed to stdout or --out: sft (OpenAI chat fine-tuning JSONL), preferences ' +
      '(OpenAI preference JSONL or TRL), retrieval (TREC qrels, queries, triplets), kb-gaps (Markdown or CSV)',
  )
  .addArgument(new Argument('<kind>', 'what to export').choices(ExportKind.options))
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .option(
    '--format <format>',
    Object.entries(EXPORT_FORMATS)
      .map(([kind, formats]) => `${kind}: ${formats.join(', ')}`)
      .join('; ') + ' (the first is the default)',
  );
withExportFilters(exportCommand)
  .option('--out <file>', 'write to this file, replaced only once the export is complete (default stdout)')
  .action(async (kind: string, opts: ExportOptions) => {
    const { out, ...fields } = opts;
    const parsed = ExportRequest.safeParse({ kind, ...fields });
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.length ? `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ` : ''}${i.message}`);
      throw new InvalidArgumentError(problems.join('; '));
    }
    const request = { ...parsed.data, tenant: opts.tenant };
    const partial = out ? `${out}.partial` : undefined;
    const target = partial ? createWriteStream(partial) : process.stdout;
    let bytes = 0;
    let lines = 0;
    try {
      await withBackend(configFromEnv(), async (backend) => {
        for await (const chunk of backend.exportData(request)) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          bytes += buffer.length;
          for (const byte of buffer) if (byte === 10) lines++;
          if (!target.write(buffer)) await once(target, 'drain');
        }
      });
      if (partial && out) {
        target.end();
        await finished(target);
        renameSync(partial, out);
      }
    } catch (err) {
      if (partial) {
        target.destroy();
        rmSync(partial, { force: true });
      }
      throw err;
    }
    console.error(`exported ${request.kind} (${request.format}): ${lines} lines, ${bytes} bytes${out ? ` to ${out}` : ''}`);
  });

const flywheel = program.command('flywheel').description('learn from the annotations: expansion field and reranker, and the reply memory');
flywheel
  .command('run')
  .description('learn retrieval from the judged queries and the reply memory from adopted replies; each is evaluated on a held-out slice and promoted only if better than its promoted version')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .action(async (opts: { tenant: string }) => {
    const bar = new FlywheelBar();
    try {
      const result = await withBackend(configFromEnv(), (backend) => backend.runFlywheel(opts.tenant, bar.update));
      bar.stop();
      printFlywheelResult(result);
      const stages = bar.summary();
      if (stages) console.error(stages);
    } finally {
      bar.stop();
    }
  });

const model = program.command('model').description('versions the flywheel learned');
/** Which kind of model a command acts on. */
function kindOption() {
  return new Option('--kind <kind>', 'model kind').choices([...MODEL_KINDS]).default(RETRIEVAL_KIND);
}
model
  .command('list')
  .description('list a tenant\'s model versions of one kind, newest first')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .addOption(kindOption())
  .action(async (opts: { tenant: string; kind: string }) => printModels(await withBackend(configFromEnv(), (backend) => backend.listModels(opts.tenant, opts.kind))));
model
  .command('promote')
  .description('promote a version (the promoted one is retired), whatever its gate said')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .argument('<id>', 'model id (from model list)')
  .action(async (id: string, opts: { tenant: string }) => printModels([await withBackend(configFromEnv(), (backend) => backend.promoteModel(opts.tenant, id))]));
model
  .command('rollback')
  .description('retire the promoted version of a kind and promote the one promoted before it (none: no learned model)')
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .addOption(kindOption())
  .action(async (opts: { tenant: string; kind: string }) => {
    const back = await withBackend(configFromEnv(), (backend) => backend.rollbackModel(opts.tenant, opts.kind));
    if (back) printModels([back]);
    else console.log(`rolled back: no ${opts.kind} model is promoted; ${opts.kind === 'retrieval' ? 'retrieval uses no learned model' : 'replies are composed without a memory'}`);
  });

const extension = program.command('extension').description('package the browser extension for self-hosted distribution');
extension
  .command('pack')
  .description(
    'sign the built Chrome extension (.output/chrome-mv3) as a CRX3 with the organisation\'s RSA key, its manifest key set to ' +
      'that key, into the directory the server offers at /extension/updates.xml; prints the extension id',
  )
  .requiredOption('--key <pem>', "the organisation's RSA private key, PEM (PKCS#8 or PKCS#1), at least 2048 bits")
  .option('--out <dir>', 'where to write loopdesk-<version>.crx and release.json (default LOOPDESK_EXTENSION_DIR, else <LOOPDESK_DATA_DIR>/extension)')
  .option('--source <dir>', 'the built Chrome extension to pack (default .output/chrome-mv3 in the project, built first when missing)')
  .option('--build', 'run `wxt build` first')
  .action((opts: { key: string; out?: string; source?: string; build?: boolean }) =>
    packExtensionCommand({ ...opts, out: opts.out ?? extensionDirFromEnv(), projectRoot: PROJECT_ROOT }),
  );

const finetune = program
  .command('finetune')
  .description(
    'upload a dataset (sft: OpenAI chat JSONL, supervised; preferences: OpenAI preference JSONL, DPO) to the ' +
      'OpenAI-compatible API at LOOPDESK_LLM_BASE_URL and start a fine-tuning job; `finetune list` shows recorded jobs',
  )
  .addOption(new Option('--kind <kind>', 'dataset and method: sft (supervised) or preferences (dpo)').choices(FINETUNE_KINDS))
  .option('--tenant <tenant>', 'tenant name', slug('tenant'))
  .option('--model <model>', 'base model to tune (default LOOPDESK_LLM_MODEL)')
  .option('--suffix <suffix>', 'up to 64 characters for the fine-tuned model name')
  .option('--wait', 'poll the job until it succeeds, fails or is cancelled, printing its events')
  .option('--poll-seconds <n>', 'with --wait: seconds between polls (default 10)')
  .option('--dry-run', 'export and count the examples only: nothing is uploaded or recorded');
withExportFilters(finetune).action(async (opts: FinetuneCliOptions & { tenant?: string }) => {
    if (!opts.tenant) throw new InvalidArgumentError("required option '--tenant <tenant>' not specified");
    await finetuneAction({ ...opts, tenant: opts.tenant }, configFromEnv());
  });
finetune
  .command('list')
  .description("list a tenant's recorded fine-tuning jobs, newest first, with their last seen status")
  .requiredOption('--tenant <tenant>', 'tenant name', slug('tenant'))
  .action(async (opts: { tenant: string }) => printFinetuneJobs(await withBackend(configFromEnv(), (backend) => backend.listFinetuneJobs(opts.tenant))));

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`loopdesk: ${err.message}`);
  process.exit(1);
});
