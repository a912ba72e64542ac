package gateway

import (
	"errors"
	"testing"
)

func TestForgetCustomerJSON(t *testing.T) {
	for _, tt := range []struct {
		name, in, email, want string
		changed               bool
	}{
		{"session reply", `{"id":"cs_1","customer_email":"Buyer@Example.com","customer_name":"Ann \u003cB\u003e","amount_cents":5000,"metadata":{"a":"b"}}`,
			"buyer@example.COM", `{"id":"cs_1","customer_email":null,"customer_name":null,"amount_cents":5000,"metadata":{"a":"b"}}`, true},
		{"nested in a list, key order kept", `{"data":[{"customer_name":"X","customer_email":"x@y.z","z":1.50},{"customer_email":"other@y.z","customer_name":"O"}],"has_more":false}`,
			"x@y.z", `{"data":[{"customer_name":null,"customer_email":null,"z":1.50},{"customer_email":"other@y.z","customer_name":"O"}],"has_more":false}`, true},
		{"another customer", `{"customer_email":"other@y.z","customer_name":"O"}`, "x@y.z", `{"customer_email":"other@y.z","customer_name":"O"}`, false},
		{"only the name beside a match", `{"customer_name":"Ann"}`, "x@y.z", `{"customer_name":"Ann"}`, false},
		{"metadata naming the field is not a session", `{"metadata":{"note":"customer_email"}}`, "x@y.z", `{"metadata":{"note":"customer_email"}}`, false},
		{"not JSON (sealed)", "\x01\x02customer_email\"x@y.z\"", "x@y.z", "\x01\x02customer_email\"x@y.z\"", false},
		{"no customer fields", `{"id":"evt_1"}`, "x@y.z", `{"id":"evt_1"}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := ForgetCustomerJSON([]byte(tt.in), tt.email)
			if string(got) != tt.want || changed != tt.changed {
				t.Errorf("ForgetCustomerJSON =\n%s, %v\nwant\n%s, %v", got, changed, tt.want, tt.changed)
			}
		})
	}
}

func TestValidateForgetEmail(t *testing.T) {
	for _, ok := range []string{"a@b", "buyer@example.com"} {
		if err := validateForgetEmail(ok); err != nil {
			t.Errorf("validateForgetEmail(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "@", "a@", "@b", "no-at", "a b@c", "a@b\x00"} {
		var ge *Error
		if err := validateForgetEmail(bad); !errors.As(err, &ge) || ge.Code != CodeValidation {
			t.Errorf("validateForgetEmail(%q) = %v, want a validation error", bad, err)
		}
	}
}
