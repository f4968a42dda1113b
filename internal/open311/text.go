package open311

import (
	"fmt"

	"civicgrid/internal/i18n"
)

// text is a message of this package in both languages. Domain errors come
// from the shared catalogue; these are the ones only GeoReport clients see
// (parameter names are the spec's, so they stay as they are in both).
type text struct{ zh, en string }

func (t text) in(lang i18n.Lang, args ...any) string {
	s := t.zh
	if lang == i18n.EN {
		s = t.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

var (
	msgFormat        = text{"请在资源名后加上 .xml 或 .json 指定格式。", "Append .xml or .json to the resource to choose the format."}
	msgNotFound      = text{"没有这个资源：%s", "No such resource: %s"}
	msgMethod        = text{"%s 不支持 %s 方法。", "%s does not support %s."}
	msgJurisdiction  = text{"jurisdiction_id “%s” 不存在，本接口只服务 %s。", "jurisdiction_id %q was not found; this endpoint serves %s only."}
	msgAPIKey        = text{"缺少 api_key：提交诉求需要平台签发的 API 令牌。", "api_key is missing: posting a request needs an API token issued by the platform."}
	msgAPIKeyInvalid = text{"api_key 无效或已被吊销。", "Invalid api_key received; it is unknown or revoked."}
	msgForm          = text{"无法读取表单：请用 application/x-www-form-urlencoded 提交，正文不超过 64 KB。", "The form could not be read: send application/x-www-form-urlencoded, at most 64 KB."}
	msgUTF8          = text{"参数 %s 不是有效的 UTF-8 文本。", "Parameter %s is not valid UTF-8."}
	msgServiceCode   = text{"缺少 service_code。", "service_code was not provided."}
	msgNoService     = text{"service_code “%s” 不存在。", "service_code %q was not found."}
	msgClassCode     = text{"service_code “%s” 是大类，请选用其下的小类（见 services 列表）。", "service_code %q is a group; use one of its services from the services list."}
	msgLocation      = text{"location required：请提供 lat 和 long（WGS-84），或写明区县、乡镇街道、村社区名称的 address_string。", "location required: send lat and long (WGS-84), or an address_string naming the county, town and village or community."}
	msgAddrUnknown   = text{"无法根据 address_string 定位：其中没有本市的区县、乡镇街道或村社区名称。请提供 lat 和 long。", "address_string names no county, town, village or community of this city: send lat and long."}
	msgAddrAmbiguous = text{"address_string 中的地名在多处都有，无法确定位置：请补充上级地名（如乡镇街道）或提供 lat 和 long。", "address_string names a place found in more than one area: add the town, or send lat and long."}
	noteApprox       = text{"（位置按地址估计，精确到“%s”）", "(position estimated from the address, to %s)"}
	msgLatLong       = text{"lat 和 long 须同时提供，且为有效的十进制度数。", "lat and long must both be sent as decimal degrees."}
	msgMediaURL      = text{"media_url 须为 http 或 https 链接，不超过 1000 个字符。", "media_url must be an http or https URL of at most 1000 characters."}
	msgAttrUnknown   = text{"attribute[%s] 不属于服务 %s 的定义。", "attribute[%s] is not defined for service %s."}
	msgAttrRequired  = text{"缺少必填的 attribute[%s]。", "attribute[%s] is required."}
	msgAttrValue     = text{"attribute[%s] 的取值“%s”无效：%s", "attribute[%s] has an invalid value %q: %s"}
	msgAttrOne       = text{"只能选一个值", "only one value may be given"}
	msgAttrList      = text{"可选值为 %s", "allowed keys are %s"}
	msgAttrNumber    = text{"须为数字", "it must be a number"}
	msgAttrString    = text{"须为不超过 %d 个字符的单行文本", "it must be one line of at most %d characters"}
	msgIDs           = text{"service_request_id 一次最多 %d 个。", "At most %d service_request_id values at once."}
	msgStatus        = text{"status 只能是 open 或 closed。", "status must be open or closed."}
	msgDate          = text{"%s 须为 W3C 日期时间，例如 2026-01-01T00:00:00+08:00。", "%s must be a W3C datetime, e.g. 2026-01-01T00:00:00Z."}
	msgDateOrder     = text{"end_date 须晚于 start_date。", "end_date must be after start_date."}
	msgDateSpan      = text{"start_date 与 end_date 相隔不能超过 90 天。", "start_date and end_date may not span more than 90 days."}
	msgInternal      = text{"服务暂时出错，请稍后重试；如持续出现请联系平台管理员。", "The service failed; try again later and tell the platform administrator if it persists."}

	noteDuplicates = text{"附近已有 %d 件同类事件正在办理，可能会合并处理。", "%d similar open cases nearby may be handled together with this one."}
	noteFiled      = text{"已登记为事件 %s，将于 %s 前受理（立案或说明不予立案的理由）；立案派遣后 %d 个工作日内办结。", "Registered as case %s; it will be accepted or declined by %s and, once dispatched, handled within %d working days."}
	noteService    = text{"立案派遣后 %d 个工作日内办结。结案标准：%s", "Handled within %d working days of dispatch. Closing standard: %s"}
	notePrivate    = text{"（涉及个人隐私，内容不公开）", "(withheld: personal matter)"}
	keyServiceText = text{"API 令牌（api_key）由平台管理员签发：civicgrid token create --username 账号。", "API keys (api_key) are issued by the platform administrator: civicgrid token create --username ACCOUNT."}
	contactText    = text{"如需帮助请联系所在市、县（区）社会工作部的平台管理员。", "For help, contact the platform administrator at your city or county social work department."}
)

// stages describes a civicgrid status for status_notes.
var stages = map[string]text{
	"reported":   {"待受理", "Awaiting acceptance"},
	"accepted":   {"已立案，待派遣", "Accepted, awaiting dispatch"},
	"dispatched": {"办理中", "Being handled"},
	"replied":    {"已反馈办理结果，待核查", "Reply given, awaiting verification"},
	"closed":     {"已结案", "Closed"},
	"rejected":   {"不予立案", "Not accepted"},
	"merged":     {"已合并至事件 %s", "Merged into case %s"},
}

// fieldNames maps a domain error's field to the GeoReport parameter.
var fieldNames = map[string]string{
	"category":        "service_code",
	"lat":             "lat/long",
	"lng":             "lat/long",
	"crs":             "lat/long",
	"address":         "address_string",
	"description":     "description",
	"reporter_phone":  "phone",
	"reporter_name":   "first_name/last_name",
	"idempotency_key": "Idempotency-Key",
	"channel":         "api_key",
	"photos":          "media_url",
}

var (
	msgNoRequest = text{"没有编号为 %s 的诉求。", "No service request %s."}
	msgNoToken   = text{"没有这个 token：%s", "No such token: %s"}
	msgCodes     = text{"service_code 一次最多 %d 个。", "At most %d service_code values at once."}
)
