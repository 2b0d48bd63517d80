#!/usr/bin/env node
// `npm run bench -- …`: run the TypeScript benchmarks from source through tsx.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import(new URL('../bench/index.ts', import.meta.url).href);
