package env

// builtinSpecs are the environments in the default registry.
func builtinSpecs() []Spec {
	return []Spec{
		cartPoleSpec(),
		acrobotSpec(),
		mountainCarSpec(),
		mountainCarContinuousSpec(),
		pendulumSpec(),
		gridWorldSpec(),
		banditSpec(),
		axisGridSpec(),
		frozenLakeSpec("FrozenLake-v1", "4x4", 100, 0.70),
		frozenLakeSpec("FrozenLake8x8-v1", "8x8", 200, 0.85),
		cliffWalkingSpec(),
		taxiSpec(),
		blackjackSpec(),
	}
}
