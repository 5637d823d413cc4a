module rudder.invalid/gotmpl-conformance

go 1.25
