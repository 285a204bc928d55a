print("kwasm-operator: not implemented yet")
