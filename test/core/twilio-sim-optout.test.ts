import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderError, TwilioProvider } from '../../core';
import { TwilioSim, twilioKeyword } from '../../sim/twilio-server';
import { ACCOUNT_SID, AUTH_TOKEN } from '../helpers/fixtures';

const BUSINESS = '+13125550199';
const OTHER_NUMBER = '+13125550188';
const CALLER = '+13125550123';

describe('the local Twilio-compatible server blocks opted-out recipients and foreign senders, as Twilio does', () => {
	const sim = new TwilioSim({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
	let provider: TwilioProvider;
	let hook: Server;
	let hookUrl = '';
	const received: string[] = [];

	beforeAll(async () => {
		await sim.start();
		provider = new TwilioProvider({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: sim.url });
		// The business's messaging webhook: Twilio passes keyword replies on as well as acting on them.
		hook = createServer((req, res) => {
			let body = '';
			req.on('data', (c: Buffer) => (body += c.toString()));
			req.on('end', () => {
				received.push(new URLSearchParams(body).get('Body') ?? '');
				res.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
			});
		});
		await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
		hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/sms`;
	});
	afterAll(async () => {
		await sim.stop();
		await new Promise((resolve) => hook.close(resolve));
	});
	beforeEach(() => {
		sim.reset();
		sim.numbers.clear();
		received.length = 0;
	});

	const text = (from = BUSINESS, to = CALLER) => provider.sendMessage({ to, from, body: 'Hello', channel: 'sms' });

	test.each(['STOP', 'stopall', 'UNSUBSCRIBE', 'Cancel', 'END', 'QUIT', 'REVOKE', 'OPTOUT', ' revoke '])(
		'%j from a number blocks later sends to it from that number with 21610',
		async (keyword) => {
			await text();
			expect((await sim.sendSms(hookUrl, CALLER, BUSINESS, keyword)).status).toBe(200);
			expect(received).toEqual([keyword]);
			const err = await text().catch((e: unknown) => e);
			expect(err).toBeInstanceOf(ProviderError);
			expect(err).toMatchObject({ code: 21610, status: 400, kind: 'opted-out' });
			expect(sim.messages).toHaveLength(1);
			// Twilio blocks the pair: the account's other numbers may still text (the pack's own list stops them).
			await expect(text(OTHER_NUMBER)).resolves.toHaveProperty('sid');
			// A messaging service sends from the pool, so the block holds for it.
			await expect(text('MG' + 'c'.repeat(32))).rejects.toMatchObject({ code: 21610 });
		},
	);

	test('START, UNSTOP or YES alone lifts the block; a sentence neither blocks nor lifts it', async () => {
		for (const start of ['START', 'unstop', 'Yes']) {
			await sim.sendSms(hookUrl, CALLER, BUSINESS, 'STOP');
			await expect(text()).rejects.toMatchObject({ code: 21610 });
			await sim.sendSms(hookUrl, CALLER, BUSINESS, start);
			await expect(text()).resolves.toHaveProperty('sid');
		}
		// Twilio's own filter matches the keyword alone; wider wordings are the pack's job (core/optout).
		await sim.sendSms(hookUrl, CALLER, BUSINESS, 'stop please');
		await expect(text()).resolves.toHaveProperty('sid');
		expect(twilioKeyword('Stop texting me')).toBeUndefined();
		expect(twilioKeyword(' optout ')).toBe('stop');
	});

	test(`a From that is not one of the account's numbers gets 21606; with no numbers listed any From \
is accepted`, async () => {
		await expect(text('+13125550100')).resolves.toHaveProperty('sid');
		sim.addNumber(BUSINESS);
		await expect(text(BUSINESS)).resolves.toHaveProperty('sid');
		const err = await text('+13125550100').catch((e: unknown) => e);
		expect(err).toBeInstanceOf(ProviderError);
		expect(err).toMatchObject({ code: 21606, status: 400 });
		expect(sim.requests.at(-1)).toMatchObject({ status: 400, params: { From: '+13125550100' } });
		// WhatsApp senders are the same numbers with the channel prefix.
		await expect(
			provider.sendMessage({ to: CALLER, from: BUSINESS, body: 'Hi', channel: 'whatsapp' }),
		).resolves.toHaveProperty('sid');
		expect(sim.messages.map((m) => m.from)).toEqual(['+13125550100', BUSINESS, `whatsapp:${BUSINESS}`]);
	});
});
