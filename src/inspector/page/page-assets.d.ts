// The page's files are imported as text (import ... with { type: "text" }), so bun build --compile embeds them.
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*.html" {
  const text: string;
  export default text;
}
declare module "*/inspector.js" {
  const text: string;
  export default text;
}
declare module "*/model-prices.json" {
  const text: string;
  export default text;
}
