module github.com/slo-budget-tracker/slo

go 1.24
