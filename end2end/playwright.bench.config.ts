import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// Benchmarks (not tests): run by scripts/bench.sh, one at a time, results printed as JSON lines.
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: /.*\.bench\.ts/,
  workers: 1,
  timeout: 600_000,
});
