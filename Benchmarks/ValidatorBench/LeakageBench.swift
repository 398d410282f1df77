func leakageBench(_ arguments: [String]) throws { throw BenchNotBuilt(name: "leakage") }
