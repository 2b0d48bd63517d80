#!/usr/bin/env node
// `npx sva-lab …` / `npm run lab -- …`: run the TypeScript CLI from source through tsx.
// Prints nothing itself: stdout belongs to the CLI (`--json` prints one document there).
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// The project's tsconfig, whatever the current directory is.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import(new URL('../main/sva-lab.ts', import.meta.url).href);
