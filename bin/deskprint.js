#!/usr/bin/env node
// Entry point for the `deskprint` command. The sources are TypeScript; tsx compiles them on
// load so `npm install && npm start` needs no separate build step.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
