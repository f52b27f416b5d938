// @orama/stemmers publishes one entry per language through package "exports", which the project's "node"
// module resolution does not read; these declarations give those entries their (one-function) types.
declare module '@orama/stemmers/english' {
	export function stemmer(word: string): string;
}
declare module '@orama/stemmers/spanish' {
	export function stemmer(word: string): string;
}
declare module '@orama/stemmers/french' {
	export function stemmer(word: string): string;
}
