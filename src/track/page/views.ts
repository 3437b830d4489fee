/**
 * The resident page's HTML, following GOV.UK Design System patterns by hand: a question page
 * with an error summary linked to its fields, a status tag, a summary list, and a progress list
 * that reads in order with a screen reader. No JavaScript: everything works as a plain GET form.
 */
import type { ResidentCase } from '../resident-lookup.js';
import { html, type SafeHtml } from './html.js';
import { stagesFor, type Stage } from './progress.js';
import type { FieldError, FieldName, TrackForm } from './query.js';
import { ukDate, ukDateTime } from './format.js';
import { CLOSURE_WORDS, STATUS_TAG, STATUS_WORDS } from './wording.js';

export interface PageContext {
  /** Where the plugin is mounted, e.g. "/track". */
  base: string;
  serviceName: string;
  councils: ReadonlyArray<{ gss: string; name: string }>;
}

function layout(ctx: PageContext, title: string, body: SafeHtml): string {
  return html`<!DOCTYPE html>
<html lang="en-GB" class="govuk-template govuk-template--rebranded">
<head>
<meta charset="utf-8">
<title>${title} – ${ctx.serviceName}</title>
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="${ctx.base}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${ctx.base}/assets/govuk-frontend.min.css">
<link rel="stylesheet" href="${ctx.base}/assets/track.css">
</head>
<body class="govuk-template__body">
<a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<header class="app-header">
<section aria-label="Service information" class="govuk-service-navigation">
<div class="govuk-width-container">
<div class="govuk-service-navigation__container">
<span class="govuk-service-navigation__service-name">
<a href="${ctx.base}" class="govuk-service-navigation__link">${ctx.serviceName}</a>
</span>
</div>
</div>
</section>
</header>
<div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
${body}
</main>
</div>
<footer class="govuk-footer">
<div class="govuk-width-container">
<div class="govuk-footer__meta">
<div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
<p class="govuk-body-s">This page shows what the council has recorded about a case. It never shows names, phone numbers or email addresses.</p>
</div>
</div>
</div>
</footer>
</body>
</html>
`.value;
}

const errorFor = (errors: FieldError[], field: FieldName): FieldError | undefined => errors.find((e) => e.field === field);

function errorSummary(errors: FieldError[]): SafeHtml | undefined {
  if (!errors.length) return undefined;
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary">
<div role="alert">
<h2 class="govuk-error-summary__title">There is a problem</h2>
<div class="govuk-error-summary__body">
<ul class="govuk-list govuk-error-summary__list">
${errors.map((e) => html`<li><a href="#${e.field}">${e.message}</a></li>
`)}</ul>
</div>
</div>
</div>
`;
}

function textField(name: 'reference' | 'postcode', label: string, hint: string, value: string, error: FieldError | undefined, extra: { width: string; autocomplete?: string }): SafeHtml {
  const describedBy = [`${name}-hint`, error ? `${name}-error` : undefined].filter(Boolean).join(' ');
  return html`<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
<label class="govuk-label govuk-label--s" for="${name}">${label}</label>
<div id="${name}-hint" class="govuk-hint">${hint}</div>
${error && html`<p id="${name}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error.message}</p>
`}<input class="govuk-input ${extra.width}${error ? ' govuk-input--error' : ''}" id="${name}" name="${name}" type="text" value="${value}" spellcheck="false" autocomplete="${extra.autocomplete ?? 'off'}" aria-describedby="${describedBy}">
</div>
`;
}

function councilField(ctx: PageContext, value: string, error: FieldError | undefined): SafeHtml | undefined {
  if (ctx.councils.length < 2) return undefined;
  return html`<div class="govuk-form-group${error ? ' govuk-form-group--error' : ''}">
<label class="govuk-label govuk-label--s" for="council">Council</label>
${error && html`<p id="council-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error.message}</p>
`}<select class="govuk-select${error ? ' govuk-select--error' : ''}" id="council" name="council"${error ? html` aria-describedby="council-error"` : ''}>
<option value="">Any council</option>
${ctx.councils.map((c) => html`<option value="${c.gss}"${c.gss === value ? html` selected` : ''}>${c.name}</option>
`)}</select>
</div>
`;
}

/** The question page: first visit, a form with problems, or a case that could not be found. */
export function formPage(ctx: PageContext, form: TrackForm, errors: FieldError[]): string {
  const title = `${errors.length ? 'Error: ' : ''}Find your case`;
  const body = html`<div class="govuk-grid-row">
<div class="govuk-grid-column-two-thirds">
${errorSummary(errors)}<h1 class="govuk-heading-l">Find your case</h1>
<p class="govuk-body">See what is happening with something you reported to the council, such as a missed bin, a pothole or a repair.</p>
<form method="get" action="${ctx.base}" novalidate>
${councilField(ctx, form.council, errorFor(errors, 'council'))}${textField('reference', 'Case reference', 'This is in the email, text or letter we sent when you reported it, for example WS-100234.', form.reference, errorFor(errors, 'reference'), { width: 'govuk-input--width-20' })}${textField('postcode', 'Postcode (if asked for)', 'Some services, such as housing repairs, only show a case to someone who also gives the postcode of the address.', form.postcode, errorFor(errors, 'postcode'), { width: 'govuk-input--width-10', autocomplete: 'postal-code' })}<button type="submit" class="govuk-button" data-module="govuk-button">Find my case</button>
</form>
</div>
</div>
`;
  return layout(ctx, title, body);
}

/**
 * The one answer for an unknown reference, a wrong postcode and a private case asked without a
 * postcode: nothing on it may depend on which of the three it was.
 */
export const NOT_FOUND_MESSAGE = 'We could not find a case with that reference and postcode. Check them and try again';

function stageItem(s: Stage, c: ResidentCase): SafeHtml {
  const stateWords = s.state === 'complete' ? 'done' : s.state === 'current' ? 'current stage' : 'not started yet';
  const due = s.name === 'scheduled' && c.dueAt && s.state !== 'complete' ? html`<span class="app-progress__date">Due by ${ukDate(c.dueAt)}</span>` : undefined;
  return html`<li class="app-progress__item app-progress__item--${s.state}"${s.state === 'current' ? html` aria-current="step"` : ''}>
<span class="app-progress__title">${s.title}<span class="govuk-visually-hidden"> (${stateWords})</span></span>
${s.at && html`<span class="app-progress__date"><time datetime="${s.at}">${ukDate(s.at)}</time></span>`}${due}
</li>
`;
}

function summaryRow(key: string, value: SafeHtml | string | undefined): SafeHtml | undefined {
  if (value === undefined) return undefined;
  return html`<div class="govuk-summary-list__row">
<dt class="govuk-summary-list__key">${key}</dt>
<dd class="govuk-summary-list__value">${value}</dd>
</div>
`;
}

const when = (iso: string | undefined): SafeHtml | undefined => (iso ? html`<time datetime="${iso}">${ukDateTime(iso)}</time>` : undefined);

/** Only web links are shown; anything else a supplier sends (javascript:, data:, file:) is left out. */
function safeUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/** "FixMyStreet 4411": the references a resident may have been given by another system. */
function otherReferences(c: ResidentCase): SafeHtml | undefined {
  const refs = c.relatedReferences ?? [];
  if (!refs.length) return undefined;
  return html`<ul class="govuk-list">${refs.map((r) => html`<li>${systemName(r.system)} ${r.reference}</li>`)}</ul>`;
}

const KNOWN_SYSTEMS: Record<string, string> = { fixmystreet: 'FixMyStreet', crm: 'Council enquiry', open311: 'Open311' };
const systemName = (system: string): string => KNOWN_SYSTEMS[system.toLowerCase()] ?? system;

export function casePage(ctx: PageContext, c: ResidentCase): string {
  const statusText = c.statusLabel ?? STATUS_WORDS[c.status];
  const closure = c.closureReason ? (c.closureReason.label ?? CLOSURE_WORDS[c.closureReason.code]) : undefined;
  const media = c.media.flatMap((m) => {
    const href = safeUrl(m.url);
    return href ? [{ href, caption: m.caption }] : [];
  });
  const history = [...c.timeline].reverse();
  const body = html`<div class="govuk-grid-row">
<div class="govuk-grid-column-two-thirds">
<span class="govuk-caption-l">Case reference ${c.reference}</span>
<h1 class="govuk-heading-l">${c.service ?? 'Your case'}</h1>
<p class="govuk-body app-status">Status: <strong class="govuk-tag ${STATUS_TAG[c.status]}">${statusText}</strong></p>
<h2 class="govuk-heading-m">Progress</h2>
<ol class="app-progress">
${stagesFor(c).map((s) => stageItem(s, c))}</ol>
<h2 class="govuk-heading-m">Details</h2>
<dl class="govuk-summary-list">
${summaryRow('Council', c.council.name)}${summaryRow('Reported', when(c.openedAt))}${summaryRow('Last updated', when(c.updatedAt))}${summaryRow('Due by', c.dueAt ? html`<time datetime="${c.dueAt}">${ukDate(c.dueAt)}</time>` : undefined)}${summaryRow('Closed', when(c.closedAt))}${summaryRow('Why it was closed', closure)}${summaryRow('Other references', otherReferences(c))}</dl>
${c.publicNotes.length > 0 && html`<h2 class="govuk-heading-m">Notes from the council</h2>
<ul class="govuk-list app-notes">
${c.publicNotes.map((n) => html`<li class="app-notes__item">${n.at && html`<p class="govuk-body-s app-secondary"><time datetime="${n.at}">${ukDateTime(n.at)}</time></p>`}<p class="govuk-body">${n.text}</p></li>
`)}</ul>
`}${media.length > 0 && html`<h2 class="govuk-heading-m">Photos</h2>
<ul class="govuk-list">
${media.map((m, i) => html`<li><a class="govuk-link" href="${m.href}" rel="noopener noreferrer">${m.caption ?? `Photo ${i + 1}`} (opens the photo)</a></li>
`)}</ul>
`}<h2 class="govuk-heading-m">What has happened</h2>
<ol class="app-timeline" reversed>
${history.map((e) => html`<li class="app-timeline__item">
<h3 class="govuk-heading-s app-timeline__title">${e.label ?? STATUS_WORDS[e.status]}</h3>
<p class="govuk-body-s app-secondary"><time datetime="${e.at}">${ukDateTime(e.at)}</time></p>
${e.note && html`<p class="govuk-body">${e.note}</p>
`}</li>
`)}</ol>
<p class="govuk-body"><a class="govuk-link" href="${ctx.base}">Find another case</a></p>
</div>
</div>
`;
  return layout(ctx, `Case ${c.reference}`, body);
}

export function tooManyPage(ctx: PageContext): string {
  const body = html`<h1 class="govuk-heading-l">You have searched too many times</h1>
<p class="govuk-body">To keep cases private, we limit how often one computer can look them up.</p>
<p class="govuk-body">Wait a minute, then <a class="govuk-link" href="${ctx.base}">try again</a>.</p>
`;
  return layout(ctx, 'Too many searches', body);
}

export function problemPage(ctx: PageContext): string {
  const body = html`<h1 class="govuk-heading-l">Sorry, there is a problem with the service</h1>
<p class="govuk-body">Try again later.</p>
`;
  return layout(ctx, 'Sorry, there is a problem with the service', body);
}
