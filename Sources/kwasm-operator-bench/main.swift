print("kwasm-operator-bench: not implemented yet")
