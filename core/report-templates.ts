/**
 * The recovery report's HTML as mustache templates. They live in TypeScript constants rather than .mustache files so
 * the compiled pack carries them without a build step copying assets.
 *
 * Line breaks in the templates are for the reader: a break touching a tag or a section tag disappears, a break inside
 * text reads as one space (as it would in a browser). The page keeps its compact form and nothing depends on how a
 * template happens to be wrapped.
 */

const JOINS_TIGHT = /(?<=>|\{\{[#^/>][^}]*\}\})\n\t*|\n\t*(?=<|\{\{[#^/>])/g;

function template(source: string): string {
	return source.replace(JOINS_TIGHT, '').replace(/\n\t*/g, ' ');
}

/** One rule a line; written without spaces since the page is served as is. */
export const REPORT_CSS = [
	'body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:16px;color:#111;background:#f6f7f9}',
	'h1{font-size:20px;margin:0 0 4px}',
	'section{background:#fff;border-radius:10px;padding:14px;margin:12px 0;box-shadow:0 1px 2px #0001}',
	'.score{font-size:44px;font-weight:700;color:#0f766e}',
	'ul{padding-left:18px}',
	'li{margin:6px 0}',
	'.badge{font-size:12px;padding:1px 6px;border-radius:8px;background:#eee}',
	'.pass .badge{background:#d1fae5}',
	'.partial .badge{background:#fef3c7}',
	'.fail .badge{background:#fee2e2}',
	'.bar{height:22px;background:#0f766e;border-radius:4px;color:#fff;padding-left:6px;font-size:13px;' +
		'white-space:nowrap;min-width:24px}',
	'table{border-collapse:collapse;width:100%;font-size:14px}',
	'td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left}',
	'.kpi{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px}',
	'.kpi div{background:#f0fdfa;border-radius:8px;padding:8px}',
	'.alert{background:#fee2e2;border-radius:8px;padding:8px}',
	'.filter{margin:8px 0}',
	'.filter select,.filter button{font:inherit;padding:4px;margin:2px 0;max-width:100%}',
	'.wide{overflow-x:auto}',
	'body{overflow-wrap:break-word}',
	'@media (max-width:480px){body{padding:8px}table{font-size:12px}td,th{padding:3px 4px}}',
].join('');

/** The business and period pickers; the page reloads itself with ?business=&days=. */
const FILTER = template(`
{{#filter}}
<form method="get" class="filter">
	<label>Business <select name="business">
		<option value="">All businesses</option>
		{{#businesses}}<option value="{{businessId}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/businesses}}
	</select></label> <label>Period <select name="days">
		{{#periods}}<option value="{{days}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/periods}}
	</select></label> <button type="submit">Show</button>
</form>
{{/filter}}
`);

const SCORE = template(`
<section>
	<div class="score" data-score="{{score.value}}">{{score.shown}}<small style="font-size:16px"> / 5</small></div>
	<div>{{score.band}}</div>
	<ul class="checks">
		{{#checks}}
		<li class="{{status}}"><b>{{name}}</b> <span class="badge">{{status}}</span><br><small>{{why}}</small></li>
		{{/checks}}
	</ul>
</section>
`);

const FUNNEL = template(`
<section>
	<h2>Recovery funnel</h2>
	{{#funnel}}
	<div style="margin:4px 0">{{name}}<div class="bar" style="width:{{width}}%">{{value}}</div></div>
	{{/funnel}}
	{{#voiceAi}}
	<p class="voice-ai" data-voice-ai-answered="{{answered}}" data-voice-ai-cases="{{cases}}">
		Answered by voice AI: <b>{{answered}}</b> ({{cases}} became cases for a person,
		{{resolved}} resolved by the agent)
	</p>
	{{/voiceAi}}
</section>
`);

const KPIS = template(`
<section class="kpi">
	{{#kpis}}<div>{{label}}<br><b>{{value}}</b></div>{{/kpis}}
</section>
`);

const PER_OWNER = template(`
<section class="wide">
	<h2>Per owner</h2>
	<table>
		<tr><th>Owner</th><th>Cases</th><th>Open</th><th>Contacted</th><th>Recovered</th><th>Overdue</th></tr>
		{{#owners}}
		<tr>
			<td>{{name}}</td><td>{{cases}}</td><td>{{open}}</td><td>{{contacted}}</td><td>{{recovered}}</td>
			<td>{{overdue}}</td>
		</tr>
		{{/owners}}
		{{^owners}}<tr><td colspan="6">No owned cases</td></tr>{{/owners}}
	</table>
</section>
`);

const PER_URGENCY = template(`
<section class="wide">
	<h2>Per urgency</h2>
	<table>
		<tr>
			<th>Urgency</th><th>Cases</th><th>Contacted</th><th>In time</th><th>Median first contact</th><th>Recovered</th>
		</tr>
		{{#urgencies}}
		<tr>
			<td>{{urgency}}</td><td>{{cases}}</td><td>{{contacted}}</td><td>{{contactedInTime}}</td><td>{{median}}</td>
			<td>{{recovered}}</td>
		</tr>
		{{/urgencies}}
	</table>
</section>
`);

const OPEN_CASES = template(`
{{#openCases}}
<section class="wide open-cases">
	<h2>Open cases ({{count}})</h2>
	<table>
		<tr><th>Case</th><th>Caller</th><th>Urgency</th><th>Owner</th><th>Due</th><th>Status</th></tr>
		{{#rows}}
		<tr>
			<td>{{caseShort}}</td><td>{{caller}}</td><td>{{urgency}}</td><td>{{owner}}</td><td>{{due}}</td>
			<td>{{status}}</td>
		</tr>
		{{/rows}}
		{{^rows}}<tr><td colspan="6">None open</td></tr>{{/rows}}
	</table>
</section>
{{/openCases}}
`);

const DELIVERY = template(`
{{#delivery}}
<section class="delivery">
	<h2>Texts that never arrived</h2>
	<p class="alert" data-undelivered="{{lostAcks}}" data-owner-alerts-failed="{{lostAlerts}}">
		{{#callers}}
		<b>{{.}} never got the acknowledgment</b>: call them back.
		Carrier filtering, or a number not registered for A2P 10DLC, is the usual cause. {{/callers}}
		{{#ownerTexts}}
		<b>{{.}} failed or never arrived</b>: check the roster's phone numbers.
		{{/ownerTexts}}
	</p>
</section>
{{/delivery}}
`);

const PROTECTION = template(`
{{#protection}}
<section class="protect">
	<h2>Protection</h2>
	{{#pumping}}
	<p class="alert" data-pumping="{{count}}"><b>{{texts}} held back as likely SMS pumping</b> ({{list}}):
		calls from numbers outside the allowed countries, or a burst past the hourly, daily or per-caller cap.
		Nothing was sent to them.
	</p>
	{{/pumping}}
	{{^pumping}}<p data-pumping="0">No texts held back as SMS pumping.</p>{{/pumping}}
	<p data-refused="{{refusedCount}}">
		{{#refused}}<b>{{requests}} refused</b> ({{list}}), none of them run.{{/refused}}
		{{^refused}}No forged or unsigned webhook requests.{{/refused}}
	</p>
	<p>Callers who opted out (STOP) and were not texted: {{optedOut}}.</p>
</section>
{{/protection}}
`);

/** The whole page: self-contained (no scripts, no outside assets) and readable on a phone. */
export const REPORT_PAGE = template(`
<!doctype html>
<html lang="en">
<head>
	<meta charset="utf-8">
	<meta name="viewport" content="width=device-width,initial-scale=1">
	<title>{{title}}</title>
	<style>{{{css}}}</style>
</head>
<body>
	<h1>{{title}}</h1>
	<div>{{periodLabel}}</div>
	{{> filter}}
	{{> score}}
	{{> funnel}}
	{{> kpis}}
	{{> perOwner}}
	{{> perUrgency}}
	{{> openCases}}
	{{> delivery}}
	{{> protection}}
</body>
</html>
`);

export const REPORT_PARTIALS = {
	filter: FILTER,
	score: SCORE,
	funnel: FUNNEL,
	kpis: KPIS,
	perOwner: PER_OWNER,
	perUrgency: PER_URGENCY,
	openCases: OPEN_CASES,
	delivery: DELIVERY,
	protection: PROTECTION,
};
