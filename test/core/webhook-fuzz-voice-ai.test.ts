import { describeWebhookFuzz } from '../helpers/webhook-fuzz';

// The voice-AI platforms' end-of-call events (core/normalize/voice-ai.ts); the other providers are in
// webhook-fuzz-calls.test.ts and webhook-fuzz-more.test.ts.
describeWebhookFuzz(['vapi', 'retell', 'elevenlabs']);
