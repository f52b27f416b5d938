import { describeWebhookFuzz } from '../helpers/webhook-fuzz';

// The voice-AI platforms' end-of-call events (core/normalize/voice-ai.ts); the others are in webhook-fuzz-calls and -more.
describeWebhookFuzz(['vapi', 'retell', 'elevenlabs']);
