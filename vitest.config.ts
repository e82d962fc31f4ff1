import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: files that start real services (ffmpeg, Mosquitto, Chromium) contend for CPU.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
