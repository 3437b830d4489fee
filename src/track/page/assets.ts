/**
 * The page's two stylesheets, served from this process (no CDN): govuk-frontend's compiled CSS
 * and a few rules for the progress list and timeline, which the Design System has no component for.
 *
 * GOV.UK's "GDS Transport" typeface is licensed for GOV.UK services only, which council sites
 * are not, so its @font-face rules are dropped and the Design System's own fallback (Arial)
 * is what residents see.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export async function loadGovukCss(): Promise<string> {
  const file = require.resolve('govuk-frontend/dist/govuk/govuk-frontend.min.css');
  const css = await readFile(file, 'utf8');
  return css.replace(/@font-face\{[^}]*\}/g, '').replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '');
}

export const TRACK_CSS = `
.app-header { background-color: var(--govuk-body-background-colour, #fff); }
.app-status { margin-bottom: 30px; }
.app-secondary { color: var(--govuk-secondary-text-colour, #484949); margin-bottom: 5px; }
.app-progress { list-style: none; margin: 0 0 30px; padding: 0; font-family: arial, sans-serif; }
.app-progress__item { position: relative; padding: 0 0 20px 40px; border-left: 4px solid var(--govuk-border-colour, #cecece); margin-left: 12px; }
.app-progress__item:last-child { border-left-color: transparent; padding-bottom: 0; }
.app-progress__item::before { content: ""; position: absolute; left: -16px; top: 0; width: 20px; height: 20px; border-radius: 50%; border: 4px solid var(--govuk-border-colour, #cecece); background: var(--govuk-body-background-colour, #fff); }
.app-progress__item--complete { border-left-color: var(--govuk-success-colour, #0f7a52); }
.app-progress__item--complete::before { border-color: var(--govuk-success-colour, #0f7a52); background: var(--govuk-success-colour, #0f7a52); }
.app-progress__item--current::before { border-color: var(--govuk-brand-colour, #1d70b8); background: var(--govuk-brand-colour, #1d70b8); }
.app-progress__title { display: block; font-size: 1.1875rem; line-height: 1.6; font-weight: 700; color: var(--govuk-text-colour, #0b0c0c); }
.app-progress__item--upcoming .app-progress__title { font-weight: 400; }
.app-progress__date { display: block; font-size: 1rem; line-height: 1.4; color: var(--govuk-secondary-text-colour, #484949); }
.app-timeline { list-style: none; margin: 0 0 30px; padding: 0; }
.app-timeline__item { border-left: 4px solid var(--govuk-brand-colour, #1d70b8); padding: 0 0 15px 15px; margin-bottom: 15px; }
.app-timeline__title { margin-bottom: 5px; }
.app-notes__item { border-left: 4px solid var(--govuk-border-colour, #cecece); padding-left: 15px; margin-bottom: 15px; }
`;

/** A plain map pin, not the GOV.UK crown (which is for GOV.UK services only). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#1d70b8" d="M16 1C9.9 1 5 5.9 5 12c0 8.3 11 19 11 19s11-10.7 11-19C27 5.9 22.1 1 16 1zm0 15a4 4 0 1 1 0-8 4 4 0 0 1 0 8z"/></svg>';
