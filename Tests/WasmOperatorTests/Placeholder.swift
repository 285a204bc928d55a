import Testing

@Test func wasmOperatorModuleLoads() {}
