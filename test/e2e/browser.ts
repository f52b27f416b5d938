import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ROOT, waitFor } from './harness';

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

/** One n8n workflow to photograph for the catalogue: its picture's name, its id, and how many nodes it draws. */
export interface N8nShot {
	name: string;
	id: string;
	nodes: number;
}

/**
 * Photographs workflows on a real n8n canvas (the catalogue's pictures with MCR_UPDATE_SCREENSHOTS set): sets up
 * n8n's owner account, logs in with its cookie, and waits for each canvas to draw `nodes` nodes before the picture.
 */
export async function photographN8n(port: number, shots: N8nShot[]): Promise<void> {
	const setup = await fetch(`http://127.0.0.1:${port}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			email: 'owner@e2e.example',
			firstName: 'E2E',
			lastName: 'Owner',
			password: 'E2e-owner-password-1',
		}),
	});
	if (setup.status !== 200) throw new Error(`n8n owner setup answered ${setup.status}`);
	const auth = /n8n-auth=([^;]+)/.exec(setup.headers.get('set-cookie') ?? '')?.[1];
	if (!auth) throw new Error('n8n owner setup set no n8n-auth cookie');
	const { context, close } = await openChromium({ width: 1400, height: 700 });
	try {
		await context.addCookies([{ name: 'n8n-auth', value: auth, domain: '127.0.0.1', path: '/' }]);
		const page = await context.newPage();
		for (const shot of shots) {
			await page.goto(`http://127.0.0.1:${port}/workflow/${shot.id}`);
			await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 60000 });
			await waitFor(
				`${shot.name}: ${shot.nodes} nodes on the canvas`,
				async () => (await page.locator('[data-test-id="canvas-node"]').count()) >= shot.nodes,
				30000,
			);
			// The canvas fits the view once its nodes are drawn; the picture waits for that to settle.
			await page.waitForTimeout(1500);
			await page.screenshot({ path: screenshotPath('workflows', shot.name) });
		}
	} finally {
		await close();
	}
}
