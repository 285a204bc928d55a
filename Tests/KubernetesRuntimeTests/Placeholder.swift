import Testing

@Test func kubernetesRuntimeModuleLoads() {}
