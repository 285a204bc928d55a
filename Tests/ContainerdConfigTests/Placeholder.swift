import Testing

@Test func containerdConfigModuleLoads() {}
