import { describeWebhookFuzz } from '../helpers/webhook-fuzz';

// The other half is webhook-fuzz-calls.test.ts (see test/helpers/webhook-fuzz.ts).
describeWebhookFuzz(['aircall', 'openphone', 'ringcentral', 'dialpad', 'generic']);
