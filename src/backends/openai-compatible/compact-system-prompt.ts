/**
 * claude-code-proxy's "compact" mode for small local models: Claude Code's behavioural boilerplate
 * (harness rules, tone, memory instructions, git recipes) is removed and the system prompt capped, while
 * what the model needs to act stays: who it is, the environment facts, CLAUDE.md and any section we do not
 * recognise (a user's own --append-system-prompt). Tool schemas travel in `tools` and user messages (where
 * Claude Code puts CLAUDE.md) are never touched, so neither is affected.
 */

export interface CompactSystemPromptOptions {
  /** Remove Claude Code's boilerplate sections. */
  compact: boolean;
  /** Cap the result at about this many tokens (four characters a token). */
  maxTokens?: number;
}

export interface CompactedSystemPrompt {
  text: string;
  /** True when text was left out to fit maxTokens. */
  truncated: boolean;
}

interface Section {
  text: string;
  /** Kept before anything else and cut last. */
  essential: boolean;
}

/** Headings of Claude Code's behavioural sections (2.x), matched case-insensitively at the start of the heading. */
const boilerplateHeadings = [
  "harness",
  "tone and style",
  "doing tasks",
  "tool usage policy",
  "using your tools",
  "session-specific guidance",
  "memory",
  "auto memory",
  "context management",
  "following conventions",
  "code style",
  "proactiveness",
  "professional objectivity",
  "task management",
  "executing actions with care",
  "output efficiency",
  "system",
  "committing changes with git",
  "creating pull requests",
  "other common operations",
  "asking questions as you work",
  "looking up your own documentation",
];

const essentialHeading = /environment|claude\.md|claudemd|project instructions|user instructions/i;
const truncationMarker = "\n[system prompt truncated]";

export function compactSystemPrompt(system: string, options: CompactSystemPromptOptions): CompactedSystemPrompt {
  let sections = splitSections(system);
  if (options.compact) sections = sections.filter((section) => !isBoilerplate(section)).map(stripPreamble);
  sections = sections.filter((section) => section.text.trim().length > 0);
  if (options.maxTokens === undefined) return { text: join(sections), truncated: false };
  return capSections(sections, options.maxTokens * 4);
}

/** Splits at top-level markdown headings ("# Environment"); the text before the first heading is its own section. */
function splitSections(system: string): Section[] {
  const sections: Section[] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const text = current.join("\n");
    const heading = /^# (.*)$/m.exec(text)?.[1] ?? "";
    sections.push({ text, essential: essentialHeading.test(heading) || /<env>|gitStatus:/.test(text) });
    current = [];
  };
  for (const line of system.split("\n")) {
    if (line.startsWith("# ")) flush();
    current.push(line);
  }
  flush();
  return sections;
}

function isBoilerplate(section: Section): boolean {
  if (section.essential) return false;
  const heading = /^# (.*)$/.exec(section.text.trimStart().split("\n")[0] ?? "")?.[1]?.trim().toLowerCase();
  if (heading === undefined) return false;
  return boilerplateHeadings.some((boilerplate) => heading === boilerplate || heading.startsWith(`${boilerplate} `) || heading.startsWith(`${boilerplate}:`));
}

/**
 * The text before the first heading: Claude Code's billing line and policy paragraphs go, the identity
 * ("You are ...") stays. Only for sections without a heading.
 */
function stripPreamble(section: Section): Section {
  if (section.text.trimStart().startsWith("# ")) return section;
  const paragraphs = section.text.split(/\n\s*\n/).filter((paragraph) => /^\s*You are /.test(paragraph) || (!/^\s*(IMPORTANT:|x-anthropic-billing-header:)/.test(paragraph) && paragraph.length < 200 && !/^\s*$/.test(paragraph)));
  return { text: paragraphs.map((paragraph) => paragraph.trim()).join("\n\n"), essential: true };
}

function join(sections: Section[]): string {
  return sections.map((section) => section.text.trim()).join("\n\n");
}

/** Essential sections first, then the others in order while they fit; the original order is kept in the result. */
function capSections(sections: Section[], maxCharacters: number): CompactedSystemPrompt {
  const kept = new Set<Section>();
  let used = 0;
  for (const section of [...sections.filter((s) => s.essential), ...sections.filter((s) => !s.essential)]) {
    const size = section.text.trim().length + 2;
    if (used + size > maxCharacters) continue;
    kept.add(section);
    used += size;
  }
  const essentialsFit = sections.filter((section) => section.essential).every((section) => kept.has(section));
  if (essentialsFit) return { text: join(sections.filter((section) => kept.has(section))), truncated: kept.size < sections.length };
  const text = join(sections.filter((section) => section.essential));
  return { text: text.slice(0, Math.max(0, maxCharacters - truncationMarker.length)) + truncationMarker, truncated: true };
}
