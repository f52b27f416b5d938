import { describeWebhookFuzz } from '../helpers/webhook-fuzz';

// The other half is webhook-fuzz-more.test.ts (see test/helpers/webhook-fuzz.ts).
describeWebhookFuzz(['twilio voice', 'twilio messaging and status', 'vonage', 'telnyx', 'plivo']);
