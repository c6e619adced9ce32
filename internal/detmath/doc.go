// Package detmath provides elementary functions whose bits do not depend on CPU features.
package detmath
