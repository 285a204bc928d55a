print("kwasm-node-installer: not implemented yet")
