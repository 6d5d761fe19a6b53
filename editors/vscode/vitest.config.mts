import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // The `vscode` module only exists inside the extension host: unit tests get a small fake.
    alias: { vscode: fileURLToPath(new URL('./test/unit/mocks/vscode.ts', import.meta.url)) },
    reporters: ['default'],
  },
});
