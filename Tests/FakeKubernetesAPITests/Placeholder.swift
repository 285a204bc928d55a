import Testing

@Test func fakeKubernetesAPIModuleLoads() {}
