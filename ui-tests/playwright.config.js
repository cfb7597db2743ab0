/**
 * Playwright configuration for the Galata tests: a real JupyterLab 4.6.4 from the project's
 * .venv (with nbx's prebuilt extension linked in by scripts/setup.sh) in Debian's Chromium.
 * Run through `npm run test:ui` (scripts/ui-test.sh), which sets everything up first.
 *
 * The server finds a stand-in nvidia-smi first on its PATH (kernel/test/bin: 4 GPUs).
 *
 * The server keeps JupyterLab's settings in a fresh directory (JUPYTERLAB_SETTINGS_DIR):
 * the tests save nbx's settings there, where the nbx service reads the runs roots it may
 * serve, and the person's own settings are never touched.
 *
 * Environment: NBX_CHROMIUM (default /usr/bin/chromium), NBX_UI_TEST_PORT (default: a
 * free port, so that test servers started at once never clash), CI (no local server reuse,
 * no retries either way).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// Chosen once, in the runner's process: its workers load this file again and inherit both.
if (!process.env.NBX_UI_TEST_PORT) {
  const pick =
    "const s = require('net').createServer().listen(0, '127.0.0.1', () => " +
    '{ process.stdout.write(String(s.address().port)); s.close(); })';
  process.env.NBX_UI_TEST_PORT = execFileSync(process.execPath, ['-e', pick], {
    encoding: 'utf8'
  });
}
if (!process.env.JUPYTERLAB_SETTINGS_DIR) {
  process.env.JUPYTERLAB_SETTINGS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'nbx-ui-settings-'));
}
const port = Number(process.env.NBX_UI_TEST_PORT);
// A stand-in nvidia-smi (4 GPUs, GPU 1 busy), so the GPU picker and GPU runs are tested
// on machines without GPUs; the engine's tests check what kernels receive.
const fakeGpus = path.join(__dirname, '..', 'kernel', 'test', 'bin');
const jupyter = path.join(__dirname, '..', '.venv', 'bin', 'jupyter');
// JupyterLab refuses to run as root without --allow-root.
const allowRoot = process.getuid && process.getuid() === 0 ? ' --allow-root' : '';

module.exports = {
  ...baseConfig,
  testDir: './tests',
  outputDir: './test-results',
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'playwright-report' }],
    // Read by scripts/ui-test.sh and scripts/test.sh for the summary line.
    ['json', { outputFile: 'test-results/report.json' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    // Recording video needs an ffmpeg download that cannot work here.
    video: 'off',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.NBX_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: `"${jupyter}" lab --config jupyter_server_test_config.py --ServerApp.port=${port} --Application.log_level=ERROR${allowRoot}`,
    cwd: __dirname,
    env: {
      ...process.env,
      PATH: `${fakeGpus}${path.delimiter}${process.env.PATH}`,
      FAKE_GPU_BUSY: '1'
    },
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false
  }
};
