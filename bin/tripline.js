#!/usr/bin/env node
// Entry point. Runs the TypeScript sources through tsx's loader (no build step),
// so what the tests run is exactly what ships.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
