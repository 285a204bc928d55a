import Testing

@Test func kubernetesClientModuleLoads() {}
