func piiBench(_ arguments: [String]) throws { throw BenchNotBuilt(name: "pii") }
