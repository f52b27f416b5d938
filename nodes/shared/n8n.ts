import {
	NodeApiError,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type INodeCredentialTestResult,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type INode,
	type IPollFunctions,
	type IWebhookFunctions,
	type JsonObject,
	type IHookFunctions,
	type IDataObject,
} from 'n8n-workflow';
import {
	callerTextCosts,
	describeTextCosts,
	IllegalTransitionError,
	openStore,
	ProviderError,
	RecoveryInputError,
	type Case,
	type RecoveryLoop,
	type StoreConfig,
} from '../../core';
import {
	defaultUserDir,
	loopOver,
	parseBusinesses,
	sharedProvider,
	sharedStore,
	statusCallbackUrlFrom,
	storeConfigFromFields,
	type AdapterAccount,
	type Businesses,
} from './runtime';

type Ctx = IExecuteFunctions | IWebhookFunctions | IPollFunctions | IHookFunctions;

export const WORKSPACE = 'missedCallRecoveryWorkspaceApi';
export const TWILIO = 'missedCallRecoveryTwilioApi';

export function storeConfigFrom(c: ICredentialDataDecryptedObject): StoreConfig {
	return storeConfigFromFields(c, c.password ? String(c.password) : undefined, defaultUserDir());
}

export function twilioAccountFrom(c: ICredentialDataDecryptedObject): AdapterAccount {
	const apiKey = c.authType === 'apiKey';
	return {
		accountSid: String(c.accountSid ?? '').trim(),
		authToken: apiKey ? undefined : String(c.authToken ?? ''),
		apiKey: apiKey ? String(c.apiKeySid ?? '').trim() : undefined,
		apiSecret: apiKey ? String(c.apiKeySecret ?? '') : undefined,
		apiBaseUrl: c.apiBaseUrl ? String(c.apiBaseUrl).trim() : undefined,
		webhookAuthToken: apiKey ? String(c.webhookAuthToken ?? '') : String(c.authToken ?? ''),
		statusCallbackUrl: statusCallbackUrlFrom(c.statusCallbackUrl),
	};
}

export function asNodeError(node: INode, e: unknown, itemIndex?: number): NodeOperationError | NodeApiError {
	if (e instanceof NodeOperationError || e instanceof NodeApiError) return e;
	if (e instanceof RecoveryInputError)
		return new NodeOperationError(node, e.message, { itemIndex, description: e.fix });
	if (e instanceof IllegalTransitionError)
		return new NodeOperationError(node, e.message, {
			itemIndex,
			description: "Check the case state with the Recovery Tracker's Get operation before moving it.",
		});
	if (e instanceof ProviderError) {
		return new NodeApiError(node, { message: e.message, code: e.code, status: e.status } as unknown as JsonObject, {
			itemIndex,
			message: e.message,
			description:
				e.kind === 'auth'
					? 'Check the Account SID and Auth Token (or API key) in the Twilio credential.'
					: `Twilio answered with ${e.code ?? e.status ?? 'an error'}.`,
			httpCode: e.status ? String(e.status) : undefined,
		});
	}
	return new NodeOperationError(node, e instanceof Error ? e.message : String(e), { itemIndex });
}

export interface N8nLoop {
	loop: RecoveryLoop;
	businesses: Businesses;
	webhookAuthToken?: string;
}

/**
 * Credentials kept for a short while per workflow. n8n 2.x reads a credential from its database, decrypts it and
 * resolves its fields on every request, and for a webhook call (outside an execution) in a freshly created isolated
 * VM: together more than the rest of a stage's work, and a call passes four nodes that need five or more reads.
 * A changed credential takes effect within this time, at once when the workflow is activated again, and always
 * at once in manual (editor) runs, which read afresh. Kept in memory only, like the clients built from them.
 */
export const CREDENTIAL_TTL_MS = 30_000;
const credentialCache = new Map<string, { until: number; data: Promise<ICredentialDataDecryptedObject> }>();

export function forgetCredentials(): void {
	credentialCache.clear();
}

export async function credentialsOf(ctx: Ctx, type: string): Promise<ICredentialDataDecryptedObject> {
	const ref = ctx.getNode().credentials?.[type];
	const workflowId = ctx.getWorkflow?.()?.id;
	if (!ref?.id || !workflowId || ctx.getMode?.() === 'manual') return ctx.getCredentials(type);
	const key = `${workflowId}:${type}:${ref.id}`;
	const now = Date.now();
	const hit = credentialCache.get(key);
	if (hit && hit.until > now) return hit.data;
	if (credentialCache.size > 1000) credentialCache.clear();
	const data = ctx.getCredentials(type);
	credentialCache.set(key, { until: now + CREDENTIAL_TTL_MS, data });
	data.catch(() => credentialCache.delete(key));
	return data;
}

/** The loop over the workspace credential's store and businesses, with Twilio when the node sends. */
export async function loopFor(ctx: Ctx, opts: { twilio: 'required' | 'optional' | 'none' }): Promise<N8nLoop> {
	const node = ctx.getNode();
	let ws: ICredentialDataDecryptedObject;
	try {
		ws = await credentialsOf(ctx, WORKSPACE);
	} catch {
		throw new NodeOperationError(node, 'This node needs a Missed Call Recovery Workspace credential', {
			description: 'Add the credential: it holds the store and the business profiles every node reads.',
		});
	}
	try {
		const businesses = parseBusinesses(ws.businesses);
		const store = await sharedStore(storeConfigFrom(ws));
		let provider;
		let webhookAuthToken: string | undefined;
		let statusCallbackUrl: string | undefined;
		if (opts.twilio !== 'none') {
			const tw = await credentialsOf(ctx, TWILIO).catch(() => undefined);
			if (!tw && opts.twilio === 'required') {
				throw new NodeOperationError(node, 'This node needs a Missed Call Recovery: Twilio Account credential', {
					description: 'Add it: the node sends texts through Twilio.',
				});
			}
			if (tw) {
				const account = twilioAccountFrom(tw);
				webhookAuthToken = account.webhookAuthToken;
				statusCallbackUrl = account.statusCallbackUrl;
				provider = sharedProvider(account);
			}
		}
		return {
			loop: loopOver(store, businesses, provider, { statusCallbackUrl, caseLinkSecret: webhookAuthToken }),
			businesses,
			webhookAuthToken,
		};
	} catch (e) {
		throw asNodeError(node, e);
	}
}

/**
 * The case an item is about: the Case ID parameter when set, else the `caseId` the trigger and every Missed Call
 * Recovery node put on their items. Left empty (the default), the node needs no expression, which n8n 2.x evaluates
 * in an isolated VM at a real cost per item.
 */
export function caseIdOf(ctx: IExecuteFunctions, i: number): string {
	const set = ctx.getNodeParameter('caseId', i, '') as string;
	const fromItem = ctx.getInputData()[i]?.json?.caseId;
	const id = set || (typeof fromItem === 'string' ? fromItem : '');
	if (!id) {
		throw new NodeOperationError(ctx.getNode(), 'No case ID: the incoming item has no caseId and Case ID is empty', {
			itemIndex: i,
			description:
				'Connect this node after the Missed Call Trigger or another Missed Call Recovery node, or set Case ID to an ' +
				'expression that gives the case id (for example from a CRM field).',
		});
	}
	return id;
}

/**
 * Runs one stage per item: each item keeps its pairing, lands on the output the stage picks, and an error
 * becomes an output item when the node continues on fail.
 */
export async function eachItem(
	ctx: IExecuteFunctions,
	outputs: number,
	stage: (
		i: number,
		item: import('n8n-workflow').INodeExecutionData,
	) => Promise<{ output: number; json: import('n8n-workflow').IDataObject }[]>,
): Promise<import('n8n-workflow').INodeExecutionData[][]> {
	const items = ctx.getInputData();
	const out: import('n8n-workflow').INodeExecutionData[][] = Array.from({ length: outputs }, () => []);
	for (let i = 0; i < items.length; i++) {
		try {
			for (const r of await stage(i, items[i])) out[r.output].push({ json: r.json, pairedItem: { item: i } });
		} catch (e) {
			if (ctx.continueOnFail()) {
				out[0].push({
					json: { ...items[i].json, error: e instanceof Error ? e.message : String(e) },
					pairedItem: { item: i },
				});
				continue;
			}
			throw asNodeError(ctx.getNode(), e, i);
		}
	}
	return out;
}

export const caseIdProperty = {
	displayName: 'Case ID',
	name: 'caseId',
	type: 'string' as const,
	default: '',
	placeholder: 'From the incoming item',
	description:
		'Leave empty to work on the caseId of the incoming item (the Missed Call Trigger and every Missed Call ' +
		'Recovery node put it there). Set it only when the case ID comes from elsewhere, such as a CRM field or a booking.',
};

/** The Workspace credential's test, shared by every node that uses it: the profiles parse and the store opens. */
/** A webhook secret cannot be tried against the provider; it is checked for the shapes providers issue. */
export async function webhookSecretTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const secret = String(credential.data?.secret ?? '');
	if (secret.length < 16)
		return {
			status: 'Error',
			message:
				`The secret is ${secret.length} characters long: copy the whole key or token from the provider, or ` +
				`choose a random token of 16 characters or more`,
		};
	if (/\s/.test(secret))
		return { status: 'Error', message: 'The secret contains spaces or line breaks: copy it again without them' };
	return { status: 'OK', message: 'The secret has a usable shape; the first signed webhook proves it' };
}

export async function workspaceTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const data = credential.data ?? {};
		const b = parseBusinesses(data.businesses);
		const store = await openStore(storeConfigFrom(data));
		const n = await store.countCases();
		await store.close();
		return {
			status: 'OK',
			// What each caller text costs is shown here, where the profile is edited (Twilio bills per segment).
			message: `${b.list.length} business${b.list.length > 1 ? 'es' : ''}, store ready with ${n} case(s); ${b.list
				.map((p) => `${p.name}: ${describeTextCosts(callerTextCosts(p))}`)
				.join('; ')}`,
		};
	} catch (e) {
		return { status: 'Error', message: (e as Error).message };
	}
}

/**
 * The case as n8n items carry it. `callerPhone` repeats the caller's number at the top level: n8n's expression
 * sandbox refuses any property named "caller" (Function.caller), so `{{ $json.case.caller }}` cannot be written.
 */
export function caseJson(c: Case): IDataObject {
	return { caseId: c.caseId, callerPhone: c.caller, case: c as unknown as IDataObject };
}
