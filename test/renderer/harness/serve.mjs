#!/usr/bin/env node
// Serve the renderer harness (real renderer, fake backend) on 127.0.0.1.
// Usage: node test/renderer/harness/serve.mjs [port]   (default 5174)
import { createServer } from 'vite';

const port = Number(process.argv[2] ?? 5174);
const server = await createServer({ configFile: new URL('./vite.config.mjs', import.meta.url).pathname, server: { port } });
await server.listen();
console.log(`renderer harness: http://127.0.0.1:${port}/`);
