#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx loopdesk` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli/main.ts');
