// Test client module whose hydration fails.
export default function hydrate() {
  throw new Error('thrower module failed on purpose');
}
