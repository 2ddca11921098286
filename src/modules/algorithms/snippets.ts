/**
 * Ready-to-paste calls of an algorithm. They name the caller's default-key by its mask, never its
 * secret (the secret is not stored anywhere to show), or a placeholder when there is none.
 */
export const SNIPPET_LANGUAGES = ['CURL', 'PYTHON', 'JAVASCRIPT'] as const;
export type SnippetLanguage = (typeof SNIPPET_LANGUAGES)[number];

export interface SnippetInput {
  apiUrl: string;
  /** owner/name[/version] */
  path: string;
  keyMask: string | null;
  sampleInput: string | null;
}

export const KEY_PLACEHOLDER = 'YOUR_API_KEY';

/** The sample input as a JSON literal: itself when it is JSON already, else as a JSON string. */
function jsonLiteral(sample: string | null): string {
  if (sample === null || sample.trim() === '') return '""';
  try {
    JSON.parse(sample);
    return sample.trim();
  } catch {
    return JSON.stringify(sample);
  }
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

export function renderSnippet(language: SnippetLanguage, input: SnippetInput): string {
  const key = input.keyMask ?? KEY_PLACEHOLDER;
  const body = jsonLiteral(input.sampleInput);
  switch (language) {
    case 'CURL':
      return [
        `curl -X POST ${shellQuote(`${input.apiUrl}/v1/algo/${input.path}`)} \\`,
        `  -H ${shellQuote(`Authorization: Simple ${key}`)} \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d ${shellQuote(body)}`,
      ].join('\n');
    case 'PYTHON':
      // JSON is not Python (true, null): parse it rather than paste it.
      return [
        'import json',
        'import Algorithmia',
        '',
        `client = Algorithmia.client(${JSON.stringify(key)}, ${JSON.stringify(input.apiUrl)})`,
        `algo = client.algo(${JSON.stringify(input.path)})`,
        `print(algo.pipe(json.loads(${JSON.stringify(body)})).result)`,
      ].join('\n');
    case 'JAVASCRIPT':
      return [
        "const Algorithmia = require('algorithmia');",
        '',
        `Algorithmia.client(${JSON.stringify(key)}, ${JSON.stringify(input.apiUrl)})`,
        `  .algo(${JSON.stringify(input.path)})`,
        `  .pipe(${body})`,
        '  .then((response) => console.log(response.get()));',
      ].join('\n');
  }
}
