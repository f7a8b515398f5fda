// The scripts' words come from Django's JavaScript catalogue (/jsi18n/, loaded before this file and the scripts
// after it); in English without it.
var gettext = window.gettext || function (text) { return text; };
var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
var interpolate = window.interpolate || function (format, values) {
  return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
};
