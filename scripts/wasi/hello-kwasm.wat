;; The demo's WASI module (scripts/demo.sh): greets on stdout, reports on stderr, and ends with
;; proc_exit(3), so the container's exit code shows the module's own. hello-kwasm.wasm is this file
;; assembled by WasmKit's WAT module (a test checks they agree).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "Hello from a WASI module, run by kwasm-wasi (WasmKit) in a runc container!\n")
  (data (i32.const 256) "module: calling proc_exit(3)\n")
  (func $write (param $fd i32) (param $text i32) (param $length i32)
    (i32.store (i32.const 0) (local.get $text))
    (i32.store (i32.const 4) (local.get $length))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $write (i32.const 1) (i32.const 64) (i32.const 75))
    (call $write (i32.const 2) (i32.const 256) (i32.const 29))
    (call $proc_exit (i32.const 3))))
