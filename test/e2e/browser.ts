import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ROOT } from './harness';

export const CHROMIUM = process.env.MCR_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium, headless, with a fresh profile and no background traffic (this machine has no internet). */
export async function openChromium(
	viewport = { width: 1280, height: 800 },
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
	if (!existsSync(CHROMIUM))
		throw new Error(
			`Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does it) or ` +
				`set MCR_CHROMIUM.`,
		);
	const profile = mkdtempSync(join(tmpdir(), 'mcr-chromium-'));
	const context = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		viewport,
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			'--disable-quic',
		],
	});
	return {
		context,
		close: async () => {
			await context.close();
			rmSync(profile, { recursive: true, force: true });
		},
	};
}

/** Where a screenshot goes: the catalogue's images when asked to refresh them, else the test run's output. */
export function screenshotPath(kind: 'flows' | 'workflows' | 'report' | 'case-page', name: string): string {
	const dir =
		process.env.MCR_UPDATE_SCREENSHOTS && (kind === 'flows' || kind === 'workflows')
			? join(ROOT, kind, 'images')
			: join(ROOT, 'test-output', 'screenshots', kind);
	mkdirSync(dir, { recursive: true });
	return join(dir, `${name}.png`);
}
