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
	}
}
