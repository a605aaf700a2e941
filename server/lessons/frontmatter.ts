import { parse as parseYaml } from 'yaml';

const frontmatter = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;

/**
 * The YAML front matter of a course Markdown/MDX file, parsed (null when the file has none or it
 * is empty). Throws on malformed YAML; callers decide whether that skips the file.
 */
export function parseFrontmatter(text: string): unknown {
  return parseYaml(frontmatter.exec(text)?.[1] ?? '') as unknown;
}
