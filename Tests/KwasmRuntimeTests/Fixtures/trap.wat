;; Reaches `unreachable` two calls deep: a trap, reported with the function it happened in.
(module
  (memory (export "memory") 1)
  (func $validate_input (unreachable))
  (func $main (call $validate_input))
  (func (export "_start") (call $main)))
