print("kwasm-dev-cluster: not implemented yet")
