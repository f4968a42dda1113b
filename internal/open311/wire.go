package open311

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"time"
)

// The wire types follow the GeoReport v2 tables element for element. One
// struct serves both formats: XML through the xml tags, JSON through the
// json tags, with the Spark convention's mapping (a list wrapper such as
// <services> or <attributes> becomes a JSON array; an empty element is null).

// cst is China Standard Time: every timestamp is written with +08:00.
var cst = time.FixedZone("CST", 8*3600)

// w3Time is a timestamp in the W3C profile of ISO 8601 with the offset
// (2026-11-29T13:21:52+08:00); the zero time is an empty element or null.
type w3Time time.Time

func (t w3Time) MarshalText() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte{}, nil
	}
	return []byte(time.Time(t).In(cst).Format(time.RFC3339)), nil
}

func (t w3Time) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	b, _ := t.MarshalText()
	return marshalJSON(string(b))
}

// optString is a field the spec says "may not be returned": always present
// as an element, null in JSON when empty.
type optString string

func (s optString) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return marshalJSON(string(s))
}

// listJSON writes a list wrapper's items as a JSON array, [] when empty.
func listJSON[T any](items []T) ([]byte, error) {
	if items == nil {
		items = []T{}
	}
	return marshalJSON(items)
}

// marshalJSON is json.Marshal without escaping <, > and & (the response
// encoder does not either): descriptions stay readable.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// apiError is one entry of the spec's error array.
type apiError struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

type errorList struct {
	XMLName xml.Name   `xml:"errors"`
	Items   []apiError `xml:"error"`
}

// Discovery is the service discovery document.
type Discovery struct {
	XMLName    xml.Name     `xml:"discovery" json:"-"`
	Changeset  string       `xml:"changeset" json:"changeset"`
	Contact    string       `xml:"contact" json:"contact"`
	KeyService string       `xml:"key_service" json:"key_service"`
	Endpoints  endpointList `xml:"endpoints" json:"endpoints"`
}

type endpointList struct {
	Items []Endpoint `xml:"endpoint"`
}

func (l endpointList) MarshalJSON() ([]byte, error) { return listJSON(l.Items) }

// Endpoint is one API endpoint in the discovery document.
type Endpoint struct {
	Specification string     `xml:"specification" json:"specification"`
	URL           string     `xml:"url" json:"url"`
	Changeset     string     `xml:"changeset" json:"changeset"`
	Type          string     `xml:"type" json:"type"`
	Formats       formatList `xml:"formats" json:"formats"`
}

type formatList struct {
	Items []string `xml:"format"`
}

func (l formatList) MarshalJSON() ([]byte, error) { return listJSON(l.Items) }

// Service is one entry of GET services: a civicgrid subcategory.
type Service struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	Code        string   `xml:"service_code" json:"service_code"`
	Name        string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"`
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

type serviceList struct {
	XMLName xml.Name  `xml:"services"`
	Items   []Service `xml:"service"`
}

// ServiceDefinition is GET services/{code}: the extra questions of a service.
type ServiceDefinition struct {
	XMLName    xml.Name      `xml:"service_definition" json:"-"`
	Code       string        `xml:"service_code" json:"service_code"`
	Attributes attributeList `xml:"attributes" json:"attributes"`
}

type attributeList struct {
	Items []Attribute `xml:"attribute"`
}

func (l attributeList) MarshalJSON() ([]byte, error) { return listJSON(l.Items) }

// Attribute is one question of a service definition.
type Attribute struct {
	Variable            bool      `xml:"variable" json:"variable"`
	Code                string    `xml:"code" json:"code"`
	Datatype            string    `xml:"datatype" json:"datatype"`
	Required            bool      `xml:"required" json:"required"`
	DatatypeDescription optString `xml:"datatype_description" json:"datatype_description"`
	Order               int       `xml:"order" json:"order"`
	Description         string    `xml:"description" json:"description"`
	Values              valueList `xml:"values" json:"values"`
}

type valueList struct {
	Items []Value `xml:"value"`
}

func (l valueList) MarshalJSON() ([]byte, error) { return listJSON(l.Items) }

// Value is one option of a singlevaluelist or multivaluelist attribute.
type Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// Request is one service request as GET requests shows it.
type Request struct {
	XMLName           xml.Name  `xml:"request" json:"-"`
	ServiceRequestID  string    `xml:"service_request_id" json:"service_request_id"`
	Status            string    `xml:"status" json:"status"`
	StatusNotes       optString `xml:"status_notes" json:"status_notes"`
	ServiceName       string    `xml:"service_name" json:"service_name"`
	ServiceCode       string    `xml:"service_code" json:"service_code"`
	Description       optString `xml:"description" json:"description"`
	AgencyResponsible optString `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     optString `xml:"service_notice" json:"service_notice"`
	RequestedDatetime w3Time    `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   w3Time    `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  w3Time    `xml:"expected_datetime" json:"expected_datetime"`
	Address           optString `xml:"address" json:"address"`
	AddressID         optString `xml:"address_id" json:"address_id"`
	Zipcode           optString `xml:"zipcode" json:"zipcode"`
	Lat               float64   `xml:"lat" json:"lat"`
	Long              float64   `xml:"long" json:"long"`
	MediaURL          optString `xml:"media_url" json:"media_url"`
}

// Created is the answer to POST requests.
type Created struct {
	XMLName          xml.Name  `xml:"request" json:"-"`
	ServiceRequestID string    `xml:"service_request_id" json:"service_request_id"`
	ServiceNotice    optString `xml:"service_notice" json:"service_notice"`
	AccountID        optString `xml:"account_id" json:"account_id"`
}

// TokenAnswer is the answer to GET tokens/{token}.
type TokenAnswer struct {
	XMLName          xml.Name `xml:"request" json:"-"`
	ServiceRequestID string   `xml:"service_request_id" json:"service_request_id"`
	Token            string   `xml:"token" json:"token"`
}

// serviceRequests is the <service_requests> list of any request shape.
type serviceRequests[T any] struct {
	XMLName xml.Name `xml:"service_requests"`
	Items   []T      `xml:"request"`
}
